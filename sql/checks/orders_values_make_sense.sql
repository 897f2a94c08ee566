-- severity: warn
-- Orders whose values parse but make no business sense: quantity or unit price below 1, or a total price
-- that is not unit price x quantity. They are loaded and counted as they are.
SELECT order_id, unit_price, quantity, total_price,
    concat_ws('; ',
        CASE WHEN quantity < 1 THEN 'quantity below 1' END,
        CASE WHEN unit_price < 1 THEN 'unit price below 1' END,
        CASE WHEN total_price::bigint <> unit_price::bigint * quantity THEN 'total price is not unit price x quantity' END
    ) AS problem
FROM {orders}
WHERE (quantity < 1 OR unit_price < 1 OR total_price::bigint <> unit_price::bigint * quantity)
