-- Nothing to look for after the COPY: types, NOT NULL and the 1..5 range are enforced by COPY itself.
-- Second column: the non-NULL dates loaded (reviews have none).
SELECT false, 0
