-- A transform's row, into the columns its SELECT named (one value placeholder per column).
INSERT INTO {table} ({columns}) VALUES ({values})
