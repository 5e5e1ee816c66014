"""Pure extraction helpers: selectolax selection that fails loudly, text, dates, sanitizing, feeds."""
