"""Words, at the bottom of the house: what search, understanding, speech and insights
all read the same way.

- `words`: the tokenizer, the light stemmer, word lists without product meaning, colours.
- `numbers`: number words to digits ("a hundred and fifty" -> "150").
- `content`: a request reduced to its content words and head noun.
- `privacy`: redaction of emails, phone, card and loyalty numbers before any write.
"""
