//! The `wlgp` command line; all logic lives in the `wlgp_cli` library over the engine.

/// mimalloc: WL features and lowered graphs are many small allocations made from every
/// rayon thread at once, where glibc's allocator contends (it was ~17% of a scoring profile).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Mesa's Vulkan drivers print an error line when XDG_RUNTIME_DIR is unset, although
    // wlgp opens no window; give them a directory so stderr carries only wlgp's own lines.
    // (Set before any thread starts.)
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    std::process::exit(wlgp_cli::main());
}
