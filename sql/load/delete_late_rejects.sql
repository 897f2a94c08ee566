-- The rows the set-based checks rejected after the copy leave the date's partition, by their file line numbers.
-- {returning}: ", order_id" for the orders (a shipment of a rejected order then names the order's line), else
-- nothing.
DELETE FROM {partition} WHERE line_no = ANY(%s) RETURNING line_no{returning}
