-- Reviews have no key and no reference to check once they parse.
SELECT line_no, reason FROM (VALUES (0, '')) AS none (line_no, reason) WHERE false
