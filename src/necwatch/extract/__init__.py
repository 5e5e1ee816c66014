"""Pure extraction helpers: selectolax selection that fails loudly, text, dates, sanitizing, feeds."""

# Bump it whenever a change to any adapter, to extract/* or to normalization can change extraction
# output (text, body boundaries, title, author, dates, comments). Stored with every post and version,
# and per source (sources.extractor_version): the first run after a bump re-extracts each source from
# its stored responses (technical versions, no alerts) before polling it, so a changed extractor is
# never reported as an edit (docs/tracking.md "When necwatch's extractor changes").
# "2": body boundaries, authors, dates and comments on many templates (issue 21).
EXTRACTOR_VERSION = "2"
