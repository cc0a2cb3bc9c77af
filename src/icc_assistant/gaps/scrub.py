"""Take contact details out of a question before it is stored.

What is removed: e-mail addresses, and any run of six or more digits, which may be split by
single spaces, dashes, dots, slashes or brackets and start with `+` (phone numbers, ID and
account numbers). Years, counts and short numbers stay: "how many pupils in 2019" keeps its
meaning. Two years written side by side ("2018 2019") read as one run and go too.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A digit, then at least five more, each after at most two separator characters.
DIGIT_RUN = re.compile(r"\+?\(?\d(?:[ .\-/()]{0,2}\d){5,}\)?")

EMAIL_MARK = "[email]"
NUMBER_MARK = "[number]"


def scrub(text: str) -> str:
    """`text` without e-mail addresses and long digit runs, each replaced by a mark."""
    return DIGIT_RUN.sub(NUMBER_MARK, EMAIL.sub(EMAIL_MARK, text))
