//! Unit tests of exact decimals (SPEC 3 `Amount`, SPEC 5.3).

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::parse_json_number(s).unwrap()
}

#[test]
fn compares_exactly_from_text() {
    let limit = Decimal::from_parts(50_000, 0);
    assert_eq!(d("4.5e4"), Decimal::from_parts(45_000, 0));
    assert_eq!(d("50000.00"), limit);
    assert!(d("50000.01") > limit);
    assert!(d("49999.999999999") < limit);
    assert_eq!(d("5E+4"), limit);
    assert_eq!(d("0.5e5"), limit);
    assert!(d("0") < d("0.0000001"));
    assert_eq!(d("-0"), Decimal::zero());
    assert!(d("1e-7") < d("1e-6"));
    assert!(d("123") > d("99.9999"));
    assert!(d("100") > d("99"));
    assert!(d("10.5") < d("10.51"));
}

#[test]
fn rejects_negative_and_bad_grammar() {
    for bad in [
        "-1", "-0.5", "01", "1.", ".5", "+1", "1e", "1e+", "", "abc", "1e99999", "1.5x",
    ] {
        assert!(Decimal::parse_json_number(bad).is_none(), "{bad}");
    }
}

#[test]
fn the_exponent_bound_is_on_the_value_not_its_text() {
    // SPEC 5.3: exactly the decimal the text denotes. Zero is zero at any
    // exponent; zeros the exponent cancels are no part of the value.
    for zero in [
        "0e-10001",
        "0e20000",
        "0E-99999999999999999999",
        "0.0e99999999",
    ] {
        assert_eq!(d(zero), Decimal::zero(), "{zero}");
    }
    let zeros = "0".repeat(20_000);
    assert_eq!(d(&format!("0.{zeros}1e20001")), d("1"));
    assert_eq!(d(&format!("1{zeros}e-20000")), d("1"));
    assert_eq!(d(&format!("45{zeros}e-19997")), d("4.5e4"));
    // The bound itself, on the normalized value.
    assert_eq!(d("1e10000"), Decimal::from_parts(1, 10_000));
    assert_eq!(d("1e-10000"), Decimal::from_parts(1, -10_000));
    assert_eq!(d("10e9999"), Decimal::from_parts(1, 10_000));
    for past in [
        "1e10001",
        "1e-10001",
        "0.1e-10000",
        "10e10000",
        "1e99999999999999999999",
    ] {
        assert!(Decimal::parse_json_number(past).is_none(), "{past}");
    }
    // A text exponent past -2^63 saturates, with a fraction as without.
    assert!(Decimal::parse_json_number("1.25e-99999999999999999999").is_none());
}

#[test]
fn only_significant_digits_count_towards_the_limit() {
    // Any number of leading and trailing zeros: held inline as one digit.
    let zeros = "0".repeat(5_000);
    assert_eq!(d(&format!("1{zeros}")), Decimal::from_parts(1, 5_000));
    assert_eq!(d(&format!("0.{zeros}1")), Decimal::from_parts(1, -5_001));
    assert_eq!(d(&format!("0.{zeros}")), Decimal::zero());
    assert_eq!(d(&format!("{}e-2", "7".repeat(64))).to_string().len(), 65);
    // Zeros between significant digits do count.
    let inner = "0".repeat(MAX_DECIMAL_DIGITS - 2);
    assert!(Decimal::parse_json_number(&format!("1{inner}1")).is_some());
    assert!(Decimal::parse_json_number(&format!("1{inner}01")).is_none());
    assert!(Decimal::parse_json_number(&format!("1.{inner}01{zeros}")).is_none());
    assert!(Decimal::parse_json_number(&"9".repeat(MAX_DECIMAL_DIGITS + 1)).is_none());
    // Equal values compare and hash equal however they were built.
    let set: std::collections::HashSet<Decimal> =
        [d("1.50"), Decimal::from_parts(15, -1), d("15e-1")]
            .into_iter()
            .collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn displays_shortest_plain_form() {
    assert_eq!(Decimal::from_parts(25, -1).to_string(), "2.5");
    assert_eq!(Decimal::from_parts(50_000, 0).to_string(), "50000");
    assert_eq!(Decimal::from_parts(5, 4).to_string(), "50000");
    assert_eq!(Decimal::from_parts(500, -2).to_string(), "5");
    assert_eq!(Decimal::from_parts(5, -3).to_string(), "0.005");
    assert_eq!(Decimal::from_parts(0, 7).to_string(), "0");
    assert_eq!(Decimal::from_parts(1234, -2).to_string(), "12.34");
}

#[test]
fn adds_and_subtracts_exactly() {
    assert_eq!(d("0.1").checked_add(&d("0.2")), Some(d("0.3")));
    assert_eq!(d("0.3").checked_sub(&d("0.1")), Some(d("0.2")));
    assert_eq!(d("0.3").checked_sub(&d("0.2")), Some(d("0.1")));
    assert_eq!(d("45000").checked_add(&d("45000")), Some(d("90000")));
    assert_eq!(d("99.99").checked_add(&d("0.01")), Some(d("100")));
    assert_eq!(d("999").checked_add(&d("1")), Some(d("1000")));
    assert_eq!(d("1000").checked_sub(&d("1")), Some(d("999")));
    assert_eq!(d("1000").checked_sub(&d("0.001")), Some(d("999.999")));
    assert_eq!(d("1e5").checked_add(&d("2.5e-3")), Some(d("100000.0025")));
    assert_eq!(d("5").checked_sub(&d("5")), Some(Decimal::zero()));
    assert_eq!(d("0").checked_add(&d("0")), Some(Decimal::zero()));
    assert_eq!(d("0").checked_add(&d("7e-3")), Some(d("0.007")));
    assert_eq!(d("7e-3").checked_sub(&d("0")), Some(d("0.007")));
    // Adding then taking back gives the start again.
    let start = d("123456.789");
    let size = d("0.000000001");
    let added = start.checked_add(&size).unwrap();
    assert_eq!(added.to_string(), "123456.789000001");
    assert_eq!(added.checked_sub(&size), Some(start));
}

#[test]
fn never_negative() {
    assert_eq!(d("0.1").checked_sub(&d("0.3")), None);
    assert_eq!(d("0").checked_sub(&d("1e-18")), None);
    assert_eq!(d("99.9999").checked_sub(&d("100")), None);
}

#[test]
fn refuses_results_beyond_the_digit_limit() {
    // 1e300 + 1e-20 needs 321 significant digits: refused, not rounded.
    assert_eq!(d("1e300").checked_add(&d("1e-20")), None);
    assert_eq!(d("1e300").checked_sub(&d("1e-20")), None);
    // Exactly MAX_DECIMAL_DIGITS digits is fine; one more is not.
    let top = Decimal::from_parts(1, 63);
    let one = Decimal::from_parts(1, 0);
    let sum = top.checked_add(&one).unwrap();
    assert_eq!(sum.to_string().len(), MAX_DECIMAL_DIGITS);
    assert_eq!(Decimal::from_parts(1, 64).checked_add(&one), None);
    // A carry to a 65th position: refused when the digits stay, fine
    // when they normalize away (99…9 + 1 = 1e64).
    let nines = d(&"9".repeat(MAX_DECIMAL_DIGITS));
    assert_eq!(nines.checked_add(&d("2")), None);
    assert_eq!(nines.checked_add(&one), Some(Decimal::from_parts(1, 64)));
    // A borrow that removes a digit brings a 65-position span back in.
    let big = Decimal::from_parts(1, 64);
    assert_eq!(big.checked_sub(&one).map(|r| r.digits.len()), Some(64));
    // Same huge exponent: exact and cheap.
    assert_eq!(d("1e300").checked_add(&d("1e300")), Some(d("2e300")));
    assert_eq!(d("3e-300").checked_sub(&d("1e-300")), Some(d("2e-300")));
    assert_eq!(
        d("1e10000").checked_add(&d("1e-10000")),
        None,
        "hostile exponents cost nothing"
    );
}

#[test]
fn display_parses_back_for_every_value() {
    let values = [
        Decimal::zero(),
        d("0.3"),
        d("45000"),
        d("1e300"),
        d("1e-20"),
        d("1.5e-300"),
        d("123456789012345678901234567890e20"),
        d(&"9".repeat(MAX_DECIMAL_DIGITS)),
        Decimal::from_parts(u128::MAX, -18),
        Decimal::from_parts(u128::MAX, 18),
        Decimal::from_parts(1, -18),
        d("1e10000"),
        d("1e-10000"),
    ];
    for v in values {
        let text = v.to_string();
        assert_eq!(Decimal::parse_plain(&text).as_ref(), Some(&v), "{text}");
        assert_eq!(
            Decimal::parse_json_number(&text).as_ref(),
            Some(&v),
            "{text}"
        );
    }
    assert_eq!(d("1e-20").to_string(), format!("0.{}1", "0".repeat(19)));
    assert_eq!(d("1e300").to_string(), format!("1{}", "0".repeat(300)));
}

#[test]
fn parse_plain_takes_only_the_display_form() {
    for bad in [
        "", "1e3", "1E3", "-1", "+1", "-0", "01", "0.10", "1.", ".1", "1.0", "00", "0.0", " 1",
        "1 ", "1..2", "abc",
    ] {
        assert_eq!(Decimal::parse_plain(bad), None, "{bad:?}");
    }
    assert_eq!(Decimal::parse_plain("0"), Some(Decimal::zero()));
    assert_eq!(Decimal::parse_plain("10"), Some(d("1e1")));
    assert_eq!(Decimal::parse_plain("0.05"), Some(d("5e-2")));
}

#[test]
fn agrees_with_integer_arithmetic_on_a_grid() {
    // Every value m × 10^e with e in −6..=6 is an integer count of 10^−6.
    let scaled = |m: u128, e: i32| m * 10u128.pow(u32::try_from(e + 6).unwrap());
    let mantissas = [0u128, 1, 5, 9, 10, 99, 101, 12_345, 999_999];
    for &ma in &mantissas {
        for ea in -6..=6 {
            for &mb in &mantissas {
                for eb in -6..=6 {
                    let (a, b) = (Decimal::from_parts(ma, ea), Decimal::from_parts(mb, eb));
                    let (sa, sb) = (scaled(ma, ea), scaled(mb, eb));
                    assert_eq!(a.checked_add(&b), Some(Decimal::from_parts(sa + sb, -6)));
                    let want = sa.checked_sub(sb).map(|r| Decimal::from_parts(r, -6));
                    assert_eq!(a.checked_sub(&b), want, "{a} - {b}");
                }
            }
        }
    }
}
