"""Pure extraction helpers: selectolax selection that fails loudly, text, dates, sanitizing, feeds."""

# Bumped whenever a change to any adapter or to extract/* can change extracted text. Stored with every
# post and version, so `necwatch reextract` can tell technical versions from real edits.
EXTRACTOR_VERSION = "1"
