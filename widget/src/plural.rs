//! Plural categories (CLDR's cardinal rules) for whole-number counts, per language, so a string
//! with a count reads right in every language: "1 more time" and "2 more times" in English,
//! three forms in Polish and Romanian. The rules are CLDR's (`supplemental/plurals.xml`)
//! restricted to integers: the form only ever counts whole things.
//!
//! A translation table holds a counted string as an object with one text per category the
//! language uses (`{"one": "...", "other": "..."}`); [`crate::i18n::Translations::plural`]
//! picks the text with [`plural_category`]. To add a language, add its rule to
//! [`plural_category`] and its expected forms to the tests; `tools/package.mjs` checks that
//! each table has the categories its language needs.

/// A CLDR plural category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluralCategory {
    /// Arabic: 0.
    Zero,
    /// 1 in most languages; in Ukrainian also 21, 31, 101, ….
    One,
    /// Arabic: 2.
    Two,
    /// Polish and Ukrainian 2–4, 22–24, …; Romanian 0 and 2–19 (and 101–119, …); Arabic
    /// 3–10 (and 103–110, …).
    Few,
    /// Polish and Ukrainian 0, 5–21, 25–31, …; Arabic 11–99 (and 111–199, …).
    Many,
    /// Every other count.
    Other,
}

impl PluralCategory {
    /// The category's CLDR name, which is its key in a translation table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zero => "zero",
            Self::One => "one",
            Self::Two => "two",
            Self::Few => "few",
            Self::Many => "many",
            Self::Other => "other",
        }
    }
}

/// The plural category of `count` in `language` (a code such as `pl`). A language without a rule
/// here gets the one/other rule of Dutch and English, the most common one.
pub fn plural_category(language: &str, count: u64) -> PluralCategory {
    use PluralCategory::{Few, Many, One, Other, Two, Zero};
    let last_digit = count % 10;
    let last_two_digits = count % 100;
    match language {
        // one: i = 1 and v = 0; few: v = 0 and i % 10 = 2..4 and i % 100 != 12..14;
        // many: the other whole numbers.
        "pl" => match count {
            1 => One,
            _ if (2..=4).contains(&last_digit) && !(12..=14).contains(&last_two_digits) => Few,
            _ => Many,
        },
        // one: i = 1 and v = 0; few: n = 0 or n != 1 and n % 100 = 1..19.
        "ro" => match count {
            1 => One,
            0 => Few,
            _ if (1..=19).contains(&last_two_digits) => Few,
            _ => Other,
        },
        // one: i % 10 = 1 and i % 100 != 11; few: i % 10 = 2..4 and i % 100 != 12..14;
        // many: the other whole numbers.
        "uk" => {
            if last_digit == 1 && last_two_digits != 11 {
                One
            } else if (2..=4).contains(&last_digit) && !(12..=14).contains(&last_two_digits) {
                Few
            } else {
                Many
            }
        }
        // zero: 0; one: 1; two: 2; few: n % 100 = 3..10; many: n % 100 = 11..99.
        "ar" => match count {
            0 => Zero,
            1 => One,
            2 => Two,
            _ if (3..=10).contains(&last_two_digits) => Few,
            _ if (11..=99).contains(&last_two_digits) => Many,
            _ => Other,
        },
        // one: n = 1; many: a whole multiple of a million.
        "es" => match count {
            1 => One,
            _ if count != 0 && count.is_multiple_of(1_000_000) => Many,
            _ => Other,
        },
        // nl, en, bg and the default: one: n = 1 (i = 1 and v = 0 for nl and en).
        _ => match count {
            1 => One,
            _ => Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::PluralCategory::{Few, Many, One, Other, Two, Zero};
    use super::*;

    /// The counts every language is tested with: 1, 2 and 5 are the classic forms, 12 and 22
    /// tell "-teen" from "twenty-", 25 a tens number, 101 a hundreds number ending in 1.
    const COUNTS: [u64; 7] = [1, 2, 5, 12, 22, 25, 101];

    fn categories(language: &str) -> Vec<PluralCategory> {
        COUNTS
            .iter()
            .map(|&count| plural_category(language, count))
            .collect()
    }

    #[test]
    fn dutch_english_and_bulgarian_have_one_for_1_only() {
        for language in ["nl", "en", "bg"] {
            assert_eq!(
                categories(language),
                [One, Other, Other, Other, Other, Other, Other],
                "{language}"
            );
            assert_eq!(plural_category(language, 0), Other, "{language}");
            assert_eq!(plural_category(language, 21), Other, "{language}");
        }
    }

    #[test]
    fn polish_has_few_for_2_to_4_except_the_teens_and_many_for_the_rest() {
        assert_eq!(categories("pl"), [One, Few, Many, Many, Few, Many, Many]);
        // 0 razy, 3 razy, 14 razy, 21 razy, 102 razy, 112 razy.
        assert_eq!(plural_category("pl", 0), Many);
        assert_eq!(plural_category("pl", 3), Few);
        assert_eq!(plural_category("pl", 14), Many);
        assert_eq!(plural_category("pl", 21), Many);
        assert_eq!(plural_category("pl", 102), Few);
        assert_eq!(plural_category("pl", 112), Many);
    }

    #[test]
    fn romanian_has_few_for_0_and_counts_ending_in_1_to_19_and_other_needs_de() {
        // "de 2 ori", "de 12 ori", "de 101 ori" (few) but "de 22 de ori" (other).
        assert_eq!(categories("ro"), [One, Few, Few, Few, Other, Other, Few]);
        assert_eq!(plural_category("ro", 0), Few);
        assert_eq!(plural_category("ro", 19), Few);
        assert_eq!(plural_category("ro", 20), Other);
        assert_eq!(plural_category("ro", 100), Other);
    }

    #[test]
    fn ukrainian_follows_the_last_digit_except_in_the_teens() {
        assert_eq!(categories("uk"), [One, Few, Many, Many, Few, Many, One]);
        assert_eq!(plural_category("uk", 0), Many);
        assert_eq!(plural_category("uk", 11), Many);
        assert_eq!(plural_category("uk", 21), One);
        assert_eq!(plural_category("uk", 111), Many);
    }

    #[test]
    fn arabic_has_six_categories() {
        assert_eq!(categories("ar"), [One, Two, Few, Many, Many, Many, Other]);
        assert_eq!(plural_category("ar", 0), Zero);
        assert_eq!(plural_category("ar", 10), Few);
        assert_eq!(plural_category("ar", 100), Other);
        assert_eq!(plural_category("ar", 103), Few);
        assert_eq!(plural_category("ar", 111), Many);
    }

    #[test]
    fn spanish_has_many_for_whole_millions() {
        assert_eq!(
            categories("es"),
            [One, Other, Other, Other, Other, Other, Other]
        );
        assert_eq!(plural_category("es", 0), Other);
        assert_eq!(plural_category("es", 1_000_000), Many);
    }

    #[test]
    fn a_language_without_a_rule_gets_one_and_other() {
        assert_eq!(plural_category("xx", 1), One);
        assert_eq!(plural_category("xx", 3), Other);
    }

    #[test]
    fn category_names_are_cldrs() {
        let names: Vec<&str> = [Zero, One, Two, Few, Many, Other]
            .into_iter()
            .map(PluralCategory::as_str)
            .collect();
        assert_eq!(names, ["zero", "one", "two", "few", "many", "other"]);
    }
}
