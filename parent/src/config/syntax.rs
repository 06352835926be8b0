//! A JSON syntax checker that says where the first error is (miniserde does not).

/// Checks `text`; on an error, returns "line L column C: why".
pub(crate) fn check(text: &str) -> Result<(), String> {
    Syntax::check(text.as_bytes()).map_err(|(at, why)| {
        let (line, col) = line_col(text, at);
        format!("line {line} column {col}: {why}")
    })
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

struct Syntax<'a> {
    b: &'a [u8],
    i: usize,
}

type Fail = (usize, &'static str);

/// Deeper nesting than any OCI config has; keeps the recursion bounded.
const MAX_DEPTH: usize = 256;

impl Syntax<'_> {
    fn check(b: &[u8]) -> Result<(), Fail> {
        let mut s = Syntax { b, i: 0 };
        s.ws();
        s.value(0)?;
        s.ws();
        if s.i < b.len() {
            return Err((s.i, "unexpected text after the end of the document"));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), Fail> {
        if depth > MAX_DEPTH {
            return Err((self.i, "nested too deeply"));
        }
        match self.peek() {
            None => Err((self.i, "unexpected end of the document")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true"),
            Some(b'f') => self.word("false"),
            Some(b'n') => self.word("null"),
            Some(_) => Err((self.i, "expected a value")),
        }
    }

    fn word(&mut self, w: &'static str) -> Result<(), Fail> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(())
        } else {
            Err((self.i, "expected a value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Fail> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err((self.i, "expected a field name in double quotes"));
            }
            self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err((self.i, "expected ':'"));
            }
            self.i += 1;
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err((self.i, "expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Fail> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err((self.i, "expected ',' or ']'")),
            }
        }
    }

    fn string(&mut self) -> Result<(), Fail> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek() {
                None => return Err((start, "string not closed")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err((self.i - 1, "bad \\u escape"));
                            }
                            self.i += 5;
                        }
                        _ => return Err((self.i - 1, "bad escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err((self.i, "control character in a string")),
                Some(_) => self.i += 1,
            }
        }
    }

    fn number(&mut self) -> Result<(), Fail> {
        let digits = |s: &mut Self| {
            let from = s.i;
            while matches!(s.peek(), Some(b'0'..=b'9')) {
                s.i += 1;
            }
            s.i > from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_at = self.i;
        if !digits(self) {
            return Err((self.i, "expected a digit"));
        }
        if self.b[int_at] == b'0' && self.i - int_at > 1 {
            return Err((int_at, "a number must not start with 0"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err((self.i, "expected a digit"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err((self.i, "expected a digit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn errors_have_a_position() {
        let e = |t: &str| check(t).unwrap_err();
        assert_eq!(
            e("{\n  \"a\": 1,\n}"),
            "line 3 column 1: expected a field name in double quotes"
        );
        assert_eq!(e("{\"a\": [1 2]}"), "line 1 column 10: expected ',' or ']'");
        assert_eq!(e("{\"é\": x}"), "line 1 column 7: expected a value");
        assert!(e("").contains("unexpected end"));
        assert!(e("{} x").contains("after the end"));
        assert!(e("{\"a\": tru}").contains("column 7"));
        assert!(e("{\"a\": \"x\\q\"}").contains("bad escape"));
        assert!(e("{\"a\": \"\\u12\"}").contains("bad \\u escape"));
        assert!(e("{\"a\": \"x").contains("string not closed"));
        assert!(e("{\"a\": 01}").contains("must not start with 0"));
        assert!(e("{\"a\": 1.}").contains("expected a digit"));
        assert!(e("{\"a\": -}").contains("expected a digit"));
        assert!(e(&"[".repeat(1000)).contains("nested too deeply"));
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\"]} ",
            "0",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }
}
