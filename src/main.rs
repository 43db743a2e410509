//! The `wlgp` command line; all logic lives in the library (`wlgp::cli`).

fn main() {
    std::process::exit(wlgp::cli::main());
}
