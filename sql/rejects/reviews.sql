-- Reviews have no key and no reference to check once they parse.
SELECT line_no, column_name, problem FROM (VALUES (0, '', '')) AS none (line_no, column_name, problem) WHERE false
