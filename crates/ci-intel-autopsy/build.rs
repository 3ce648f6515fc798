//! Marks the corpus tests ignored when the shared corpus is absent (see the included file).

include!("../../build-support/corpus_cfg.rs");

fn main() {
    corpus_cfg();
}
