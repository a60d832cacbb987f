//! Shape rules that must be compile errors, with the messages users see.
//!
//! Each `tests/ui/*.rs` must fail to compile with exactly its `.stderr`.
//! Regenerate after an intended change with `TRYBUILD=overwrite cargo test --test compile_fail`.

#[test]
fn shape_rules_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
