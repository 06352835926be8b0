// How runlet-exec is linked: helper-rt/link.rs.
include!("../helper-rt/link.rs");

fn main() {
    link_helper("runlet-exec");
}
