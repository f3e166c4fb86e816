//! The normative cases, properties of the parser and printer, and the limits.

use super::*;
use serde_json::Value;

fn cases() -> Value {
    let text = include_str!("../../../spec/mapping-cases.json");
    serde_json::from_str(text).expect("mapping-cases.json parses")
}

#[test]
fn every_normative_case_gives_its_value_or_error() {
    let cases = cases();
    let roots = known_roots(cases["triggerEvent"].as_str().expect("trigger"));
    let context = &cases["context"];
    let list = cases["cases"].as_array().expect("cases");
    assert!(list.len() > 50);
    for case in list {
        let source = case["expr"].as_str().expect("expr");
        let result = parse(source, &roots);
        match (&case.get("value"), &case.get("error"), result) {
            (Some(expected), _, Ok(expr)) => {
                assert_eq!(
                    &&expr.eval(context).expect("evaluates"),
                    expected,
                    "{source}"
                );
                let printed = expr.to_string();
                assert_eq!(
                    parse(&printed, &roots).as_ref(),
                    Ok(&expr),
                    "round trip of {source} via {printed}"
                );
            }
            (_, Some(kind), Err(err)) => {
                assert_eq!(err.kind(), kind.as_str().expect("kind"), "{source}: {err}")
            }
            (_, _, other) => panic!("{source}: unexpected {other:?}"),
        }
    }
}

#[test]
fn trigger_roots_follow_the_noun() {
    let cases = cases();
    for (trigger, root) in cases["rootForTrigger"].as_object().expect("map") {
        assert_eq!(root_for_trigger(trigger), root.as_str().expect("root"));
    }
}

#[test]
fn words_with_spaces_get_a_hint_about_quotes() {
    let err = parse("Follow up", &known_roots("Lead.created")).expect_err("syntax");
    assert!(err.to_string().contains("quotes"), "{err}");
    let err = parse("dael.name", &known_roots("Deal.won")).expect_err("unknown root");
    assert!(
        err.to_string().contains("deal, event, step, workflow, org"),
        "{err}"
    );
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;
    use serde_json::{Number, Value};

    fn roots() -> Vec<String> {
        known_roots("Deal.won")
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z][a-z0-9_-]{0,8}", "[0-9]{1,3}", "\\$[a-z]{1,5}",]
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            any::<String>().prop_map(|s| Expr::Literal(Value::String(s))),
            any::<i64>().prop_map(|n| Expr::Literal(Value::from(n))),
            (-1.0e9f64..1.0e9).prop_map(|x| Expr::Literal(
                Number::from_f64(x).map_or(Value::Null, Value::Number)
            )),
            any::<bool>().prop_map(|b| Expr::Literal(Value::Bool(b))),
            Just(Expr::Literal(Value::Null)),
            (
                prop::sample::select(roots()),
                prop::collection::vec(segment(), 0..4)
            )
                .prop_map(|(root, segments)| Expr::Path { root, segments }),
        ]
    }

    fn compare_op() -> impl Strategy<Value = CompareOp> {
        prop::sample::select(vec![
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ])
    }

    /// Trees the grammar can write: comparisons only at the top or inside parentheses.
    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Sum),
                (compare_op(), inner.clone(), inner).prop_map(|(op, l, r)| Expr::Compare(
                    op,
                    Box::new(l),
                    Box::new(r)
                )),
            ]
        })
    }

    fn context() -> Value {
        let cases: Value =
            serde_json::from_str(include_str!("../../../spec/mapping-cases.json")).expect("json");
        cases["context"].clone()
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(source in any::<String>()) {
            if let Ok(expr) = parse(&source, &roots()) {
                let _ = expr.eval(&context());
            }
            let _ = parse_any_root(&source);
        }

        #[test]
        fn parsing_near_miss_text_never_panics(source in "[a-z.$ +=<>!()'\"0-9eE-]{0,24}") {
            if let Ok(expr) = parse(&source, &roots()) {
                let _ = expr.eval(&context());
            }
        }

        #[test]
        fn printed_expressions_parse_back_to_the_same_tree(expr in expr()) {
            let printed = expr.to_string();
            prop_assert_eq!(parse(&printed, &roots()), Ok(expr), "printed as {}", printed);
        }
    }
}

#[test]
fn quotes_and_backslashes_inside_text_survive() {
    let roots = known_roots("Deal.won");
    let eval = |src: &str| parse(src, &roots).map(|e| e.eval(&Value::Null).expect("evaluates"));
    assert_eq!(eval(r#"'it\'s'"#), Ok(serde_json::json!("it's")));
    assert_eq!(eval(r#"'say "hi"'"#), Ok(serde_json::json!("say \"hi\"")));
    assert_eq!(eval(r#""back\\'""#), Ok(serde_json::json!("back\\'")));
    assert_eq!(
        eval("-918931961.1181935"),
        Ok(serde_json::json!(-918931961.1181935))
    );
    assert_eq!(eval(r#""bad \q""#).map_err(|e| e.kind()), Err("syntax"));
}

#[test]
fn sample_data_follows_what_the_steps_read() {
    let exprs = [
        "deal.name",
        "\"Welcome \" + deal.contact.name",
        "deal.contact.email",
        "step.0.$id",
        "Call",
    ];
    assert_eq!(
        sample_data("Deal.won", exprs),
        serde_json::json!({"name": "Example name", "contact": {"name": "Example name", "email": "Example email"}})
    );
    assert_eq!(
        sample_data("Lead.created", ["deal.name"]),
        serde_json::json!({})
    );
}

#[test]
fn numbers_are_written_as_in_json() {
    let roots = known_roots("Deal.won");
    assert_eq!(
        parse("-1.5e3", &roots).map(|e| e.eval(&Value::Null).expect("evaluates")),
        Ok(serde_json::json!(-1500.0))
    );
    assert_eq!(
        parse("\"\\u00e9\"", &roots).map(|e| e.eval(&Value::Null).expect("evaluates")),
        Ok(serde_json::json!("é"))
    );
    assert_eq!(
        parse("1+2", &roots).map(|e| e.eval(&Value::Null).expect("evaluates")),
        Ok(serde_json::json!(3))
    );
}

mod limits {
    use super::super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn roots() -> Vec<String> {
        known_roots("Deal.won")
    }

    #[test]
    fn a_hundred_thousand_open_brackets_are_refused_without_recursing() {
        let deep = "(".repeat(100_000);
        assert_eq!(
            parse(&deep, &roots()).map_err(|e| e.kind()),
            Err("too_long")
        );
        // Within the length limit, the nesting limit stops the parser at level 33.
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        let err = parse(&deep, &roots()).expect_err("too deep");
        assert_eq!(err, MappingError::TooDeep { position: 33 });
        assert!(err.to_string().contains("32 levels"), "{err}");
    }

    #[test]
    fn thirty_two_levels_are_allowed_and_evaluate() {
        let nested = format!("{}1 + 1{}", "(".repeat(32), ")".repeat(32));
        let expr = parse(&nested, &roots()).expect("32 levels parse");
        assert_eq!(expr.eval(&Value::Null), Ok(json!(2)));
    }

    #[test]
    fn an_expression_longer_than_two_thousand_characters_is_refused() {
        let long = format!("\"{}\"", "x".repeat(EXPRESSION_MAX_CHARS - 2));
        assert!(parse(&long, &roots()).is_ok(), "exactly at the limit");
        let longer = format!("\"{}\"", "x".repeat(EXPRESSION_MAX_CHARS - 1));
        let err = parse(&longer, &roots()).expect_err("too long");
        assert_eq!(err.kind(), "too_long");
        assert!(err.to_string().contains("2001 characters"), "{err}");
    }

    #[test]
    fn a_sum_of_ten_thousand_terms_stays_flat_and_a_huge_value_fails_with_a_message() {
        // Ten thousand terms are over the length limit when parsed…
        let terms = vec!["deal.big"; 10_000].join(" + ");
        assert_eq!(
            parse(&terms, &roots()).map_err(|e| e.kind()),
            Err("too_long")
        );
        // …and a tree built without the parser still evaluates without deep recursion, and
        // stops at the value limit instead of building gigabytes.
        let big = Expr::Path {
            root: "deal".into(),
            segments: vec!["big".into()],
        };
        let sum = Expr::Sum(vec![big; 10_000]);
        let context = json!({"deal": {"big": "x".repeat(VALUE_MAX_BYTES)}});
        assert_eq!(sum.eval(&context), Err(EvalError::TooLarge));
        let small = json!({"deal": {"big": "x"}});
        let joined = sum.eval(&small).expect("ten thousand small terms");
        assert_eq!(joined.as_str().map(str::len), Some(10_000));
    }

    #[test]
    fn text_that_would_pass_a_mebibyte_is_refused() {
        let context = json!({"deal": {"half": "y".repeat(VALUE_MAX_BYTES / 2 + 1)}});
        let expr = parse("deal.half + deal.half", &roots()).expect("parses");
        assert_eq!(expr.eval(&context), Err(EvalError::TooLarge));
        let expr = parse("deal.half + \"!\"", &roots()).expect("parses");
        assert!(expr.eval(&context).is_ok(), "just over half a MiB is fine");
    }

    #[test]
    fn repeated_large_comparisons_run_out_of_work_not_memory() {
        let context = json!({"deal": {"s": "z".repeat(300_000)}});
        let one = "((deal.s + deal.s) == (deal.s + deal.s))";
        let many = vec![one; 40].join(" + ");
        assert!(many.len() <= EXPRESSION_MAX_CHARS, "{}", many.len());
        let expr = parse(&many, &roots()).expect("parses");
        assert_eq!(expr.eval(&context), Err(EvalError::TooMuchWork));
    }

    #[test]
    fn a_tree_deeper_than_any_parse_is_refused_by_the_evaluator() {
        let mut expr = Expr::Literal(json!(1));
        for _ in 0..200 {
            expr = Expr::Compare(
                CompareOp::Eq,
                Box::new(expr),
                Box::new(Expr::Literal(json!(1))),
            );
        }
        assert_eq!(expr.eval(&Value::Null), Err(EvalError::TooDeep));
    }

    fn nested_text() -> impl Strategy<Value = String> {
        // Brackets, signs and terms in any mix and amount: deep, long, unbalanced.
        (
            prop::collection::vec(
                prop_oneof!["\\(", "\\)", " \\+ ", "deal\\.a", "1", "==", "\"t\""],
                0..400,
            ),
            0usize..3000,
        )
            .prop_map(|(parts, opens)| format!("{}{}", "(".repeat(opens), parts.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn any_nesting_and_length_ends_in_a_value_or_an_error(source in nested_text()) {
            let context = json!({"deal": {"a": "x".repeat(1000)}});
            match parse(&source, &roots()) {
                Ok(expr) => { let _ = expr.eval(&context); }
                Err(err) => prop_assert!(
                    matches!(err.kind(), "syntax" | "too_long" | "too_deep" | "empty"),
                    "{err}"
                ),
            }
        }
    }
}

#[test]
fn an_evaluation_past_its_deadline_gives_up() {
    use std::time::{Duration, Instant};
    let context = serde_json::json!({ "deal": { "b": "x".repeat(100_000) } });
    let roots = vec!["deal".to_owned()];
    let heavy = format!("({}==0)", ["deal.b"; 8].join("+"));
    let heavy = [heavy.as_str(); 8].join("+");
    let expr = super::parse(&heavy, &roots).expect("parses");
    assert!(expr.eval(&context).is_ok(), "within its work");
    assert_eq!(
        expr.eval_until(&context, Some(Instant::now())),
        Err(super::EvalError::TooSlow)
    );
    // A deadline that passes while it works: it stops at its next look at the clock. The
    // clock reads before the deadline at the start and an hour after it from then on.
    let start = Instant::now();
    let deadline = start + Duration::from_secs(1);
    let mut looks = 0;
    let mut clock = || {
        looks += 1;
        if looks == 1 {
            start
        } else {
            start + Duration::from_secs(3600)
        }
    };
    assert_eq!(
        expr.eval_by_clock(&context, Some(deadline), &mut clock),
        Err(super::EvalError::TooSlow)
    );
    assert_eq!(looks, 2, "stopped at its first look during the work");
    let later = Instant::now() + Duration::from_secs(60);
    assert!(expr.eval_until(&context, Some(later)).is_ok());
}
