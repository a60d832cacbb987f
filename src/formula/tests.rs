use super::*;
use typenum::*;

fn conv<I, K, S, P, D>() -> usize
where
    I: ConvOutSize<K, S, P, D, Floor>,
{
    <I as ConvOutSize<K, S, P, D, Floor>>::Output::USIZE
}

#[test]
fn type_formula_matches_runtime_formula_over_a_grid() {
    // A spread of sizes, kernels, strides, paddings and dilations; the type
    // operator and the runtime function must agree everywhere both are defined.
    macro_rules! check {
        ($($i:ty, $k:ty, $s:ty, $p:ty, $d:ty);* $(;)?) => {$(
            let expect = conv_out(<$i>::USIZE, <$k>::USIZE, <$s>::USIZE, <$p>::USIZE, <$d>::USIZE, false).unwrap();
            assert_eq!(conv::<$i, $k, $s, $p, $d>(), expect,
                "in={} k={} s={} p={} d={}", <$i>::USIZE, <$k>::USIZE, <$s>::USIZE, <$p>::USIZE, <$d>::USIZE);
        )*};
    }
    check!(
        U32, U5, U1, U0, U1; U14, U5, U1, U0, U1; U227, U11, U4, U0, U1;
        U224, U11, U4, U0, U1; U224, U7, U2, U3, U1; U56, U3, U1, U1, U1;
        U28, U2, U2, U0, U1; U27, U3, U2, U0, U1; U13, U3, U1, U2, U2;
        U9, U3, U3, U1, U3; U1, U1, U1, U0, U1; U572, U3, U1, U0, U1;
        U7, U7, U1, U0, U1; U10, U4, U3, U2, U1; U1000, U9, U7, U4, U5;
    );
}

#[test]
fn lecture_table_sizes() {
    // LeNet-5: C1 32 -> 28, S2 28 -> 14, C3 14 -> 10, S4 10 -> 5, C5 5 -> 1
    assert_eq!(conv::<U32, U5, U1, U0, U1>(), 28);
    assert_eq!(conv::<U28, U2, U2, U0, U1>(), 14);
    assert_eq!(conv::<U14, U5, U1, U0, U1>(), 10);
    assert_eq!(conv::<U10, U2, U2, U0, U1>(), 5);
    assert_eq!(conv::<U5, U5, U1, U0, U1>(), 1);
    // AlexNet C1 on the 227 input that makes the arithmetic whole: 55
    assert_eq!(conv::<U227, U11, U4, U0, U1>(), 55);
    // U-Net: 572 -> 570 -> 568 (two valid 3x3 convs)
    assert_eq!(conv::<U570, U3, U1, U0, U1>(), 568);
}

#[test]
fn exact_mode_accepts_whole_sizes_and_rejects_the_alexnet_224() {
    assert_eq!(
        <U227 as ConvOutSize<U11, U4, U0, U1, Exact>>::Output::USIZE,
        55
    );
    assert_eq!(conv_out(227, 11, 4, 0, 1, true), Ok(55));
    let err = conv_out(224, 11, 4, 0, 1, true).unwrap_err();
    assert!(err.contains("stride 4 does not divide"), "{err}");
    assert!(err.contains("213"), "{err}");
}

#[test]
fn kernel_larger_than_padded_input_is_an_error() {
    let err = conv_out(4, 5, 1, 0, 1, false).unwrap_err();
    assert!(err.contains("does not fit"), "{err}");
    assert_eq!(conv_out(4, 5, 1, 1, 1, false), Ok(2));
    // dilation 2 makes a 3-tap kernel span 5
    assert!(conv_out(4, 3, 1, 0, 2, false).is_err());
    assert!(conv_out(4, 0, 1, 0, 1, false).is_err());
}

#[test]
fn transposed_formula_inverts_the_convolution_size() {
    type T<I, K, S, P, D, OP> = <I as ConvTransposeOutSize<K, S, P, D, OP>>::Output;
    // lecture: 2x2 input, 2x2 kernel, stride 1 -> 3x3
    assert_eq!(T::<U2, U2, U1, U0, U1, U0>::USIZE, 3);
    // U-Net up-convolution: 2x2 stride 2 doubles
    assert_eq!(T::<U28, U2, U2, U0, U1, U0>::USIZE, 56);
    assert_eq!(T::<U7, U3, U2, U1, U1, U1>::USIZE, 14);
    for (i, k, s, p, d, op) in [(2, 2, 1, 0, 1, 0), (7, 3, 2, 1, 1, 1), (5, 4, 3, 2, 2, 2)] {
        let big = conv_transpose_out(i, k, s, p, d, op).unwrap();
        assert_eq!(conv_out(big, k, s, p, d, false), Ok(i));
    }
    assert!(conv_transpose_out(3, 3, 2, 1, 1, 2).is_err());
    assert!(conv_transpose_out(1, 1, 1, 1, 1, 0).is_err());
}

#[test]
fn same_padding_keeps_the_size_for_odd_kernels() {
    assert_eq!(<SamePad<U3> as Unsigned>::USIZE, 1);
    assert_eq!(<SamePad<U5> as Unsigned>::USIZE, 2);
    assert_eq!(<SamePad<U3, U2> as Unsigned>::USIZE, 2);
    for k in [1, 3, 5, 7, 11] {
        for d in [1, 2, 3] {
            let p = same_padding(k, d).unwrap();
            assert_eq!(conv_out(17, k, 1, p, d, false), Ok(17));
        }
    }
    assert!(same_padding(4, 1).unwrap_err().contains("odd"));
}

#[test]
fn dims_choose_static_or_runtime_formula() {
    use crate::dims::N;
    let s: N<U10> =
        <N<U14> as SlidingWindow<N<U5>, U1, U0, U1, Floor>>::slide(&N::new(), &N::new()).unwrap();
    assert_eq!(dfdx::shapes::Dim::size(&s), 10);
    let r = <usize as SlidingWindow<N<U5>, U1, U0, U1, Floor>>::slide(&14, &N::new());
    assert_eq!(r, Ok(10));
    let bad = <usize as SlidingWindow<usize, U1, U0, U1, Floor>>::slide(&3, &5);
    assert!(bad.is_err());
}

#[test]
fn type_operators_match_the_shared_rules_over_a_grid() {
    // the transposed rule and same padding, as types and as `splotnet_sizes`
    macro_rules! transposed {
        ($($i:ty, $k:ty, $s:ty, $p:ty, $d:ty, $op:ty);* $(;)?) => {$(
            let want = splotnet_sizes::conv_transpose_out(
                <$i>::U64, <$k>::U64, <$s>::U64, <$p>::U64, <$d>::U64, <$op>::U64,
            ).unwrap();
            let got = <<$i as ConvTransposeOutSize<$k, $s, $p, $d, $op>>::Output as Unsigned>::U64;
            assert_eq!(got, want, "transposed in={} k={} s={} p={} d={} op={}",
                <$i>::U64, <$k>::U64, <$s>::U64, <$p>::U64, <$d>::U64, <$op>::U64);
        )*};
    }
    transposed!(
        U28, U2, U2, U0, U1, U0; U7, U3, U2, U1, U1, U1; U1, U4, U2, U1, U1, U0;
        U194, U2, U2, U0, U1, U0; U16, U4, U2, U1, U1, U0; U5, U3, U1, U1, U2, U0;
        U9, U5, U3, U2, U1, U2; U64, U1, U1, U0, U1, U0; U3, U7, U4, U3, U2, U3;
    );
    macro_rules! same {
        ($($k:ty, $d:ty);* $(;)?) => {$(
            assert_eq!(
                <SamePad<$k, $d> as Unsigned>::U64,
                splotnet_sizes::same_padding(<$k>::U64, <$d>::U64).unwrap()
            );
        )*};
    }
    same!(U1, U1; U3, U1; U5, U1; U7, U1; U11, U1; U3, U2; U5, U3; U9, U4);
    // the convolution grid above goes through `conv_out`, which is the shared rule
    assert_eq!(conv_out(224, 7, 2, 3, 1, false), Ok(112));
}

#[test]
fn ceil_rounding_as_a_type_matches_the_shared_rule() {
    use splotnet_sizes::{window_out, Round};
    macro_rules! ceil {
        ($($i:ty, $k:ty, $s:ty, $p:ty);* $(;)?) => {$(
            let want = window_out(<$i>::U64, <$k>::U64, <$s>::U64, <$p>::U64, 1, Round::Ceil).unwrap();
            let got = <<$i as ConvOutSize<$k, $s, $p, U1, Ceil>>::Output as Unsigned>::U64;
            assert_eq!(got, want, "ceil in={} k={} s={} p={}", <$i>::U64, <$k>::U64, <$s>::U64, <$p>::U64);
        )*};
    }
    // GoogLeNet's max pools (3x3, stride 2, ceil): 112 -> 56 -> 28 -> 14 -> 7
    ceil!(U112, U3, U2, U0; U56, U3, U2, U0; U28, U3, U2, U0; U14, U3, U2, U0);
    // the last window would start in the right padding: dropped (3, not 4)
    ceil!(U5, U2, U2, U1; U6, U3, U3, U1; U9, U2, U2, U1; U7, U3, U2, U1; U1, U1, U2, U0);
    assert_eq!(
        <<U112 as ConvOutSize<U3, U2, U0, U1, Ceil>>::Output as Unsigned>::U64,
        56
    );
    assert_eq!(
        <<U112 as ConvOutSize<U3, U2, U0, U1, Floor>>::Output as Unsigned>::U64,
        55
    );
    assert_eq!(
        <<U5 as ConvOutSize<U2, U2, U1, U1, Ceil>>::Output as Unsigned>::U64,
        3
    );
}
