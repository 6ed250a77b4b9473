//! Reading ease of plain text: the Flesch Reading Ease score,
//! 206.835 − 1.015 × (words ÷ sentences) − 84.6 × (syllables ÷ words).
//! 60–70 is plain English (read easily by 13- to 15-year-olds), 70–80 fairly easy, 80+ easy.
//!
//! Counting rules: Markdown marks are dropped; a sentence ends at `.`, `!`, `?` or `:` or at
//! the end of a line (a heading or list item is a sentence); a word is a run of letters,
//! digits and apostrophes; a number ("1,807", "83%") is one word of one syllable per
//! group of up to three digits; a word's syllables are its groups of vowels (y counts as a
//! vowel after the first letter), less a silent final "e", at least one.

/// Syllables of one word, by the rules above.
pub fn syllables(word: &str) -> usize {
    let w: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if w.is_empty() {
        return 0;
    }
    if !w.chars().any(|c| c.is_alphabetic()) {
        let digits = w.chars().filter(|c| c.is_ascii_digit()).count();
        return digits.div_ceil(3).max(1);
    }
    let chars: Vec<char> = w.chars().collect();
    let vowel =
        |i: usize| matches!(chars[i], 'a' | 'e' | 'i' | 'o' | 'u') || (chars[i] == 'y' && i > 0);
    let mut groups = 0;
    let mut prev = false;
    for i in 0..chars.len() {
        let v = vowel(i);
        if v && !prev {
            groups += 1;
        }
        prev = v;
    }
    let n = chars.len();
    // A silent final "e" ("safe"), but not in "-le" after a consonant ("table").
    let silent_e = n > 2 && chars[n - 1] == 'e' && !vowel(n - 2);
    let consonant_le = n > 2 && chars[n - 2] == 'l' && !vowel(n - 3);
    if silent_e && !consonant_le && groups > 1 {
        groups -= 1;
    }
    groups.max(1)
}

/// (sentences, words, syllables) of Markdown text.
pub fn counts(markdown: &str) -> (usize, usize, usize) {
    let (mut sentences, mut words, mut syl) = (0, 0, 0);
    for line in markdown.lines() {
        let line = line.trim_start_matches(['#', '-', '>', ' ', '*']);
        let mut in_sentence = false;
        for token in line.split_whitespace() {
            let word: String = token
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect();
            if !word.is_empty() {
                words += 1;
                syl += syllables(&word);
                in_sentence = true;
            }
            if in_sentence && token.ends_with(['.', '!', '?', ':']) {
                sentences += 1;
                in_sentence = false;
            }
        }
        if in_sentence {
            sentences += 1;
        }
    }
    (sentences, words, syl)
}

/// The Flesch Reading Ease score of Markdown text (0 for text without words).
pub fn flesch_reading_ease(markdown: &str) -> f64 {
    let (s, w, y) = counts(markdown);
    if s == 0 || w == 0 {
        return 0.0;
    }
    206.835 - 1.015 * (w as f64 / s as f64) - 84.6 * (y as f64 / w as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_everyday_words() {
        for (w, n) in [
            ("the", 1),
            ("children", 2),
            ("safe", 1),
            ("people", 2),
            ("together", 3),
            ("protection", 3),
            ("every", 3),
            ("1,807", 2),
            ("83%", 1),
            ("table", 2),
        ] {
            assert_eq!(syllables(w), n, "{w}");
        }
    }

    #[test]
    fn short_plain_sentences_score_high_and_long_latinate_ones_low() {
        let plain = "We work together to keep children safe. We ran 12 courses. Many people came.";
        let hard = "The multi-agency safeguarding arrangements demonstrated considerable organisational effectiveness notwithstanding significant methodological limitations concerning evaluation.";
        assert!(
            flesch_reading_ease(plain) > 80.0,
            "{}",
            flesch_reading_ease(plain)
        );
        assert!(
            flesch_reading_ease(hard) < 0.0,
            "{}",
            flesch_reading_ease(hard)
        );
        assert_eq!(counts("## Who we are\n\n- One: two.\n- Three"), (4, 6, 6));
    }
}
