-- Nothing to look for after the COPY: types, NOT NULL and the 1..5 range are enforced by COPY itself.
SELECT false
