-- The standing government-caused delays (政府原因) of one contract, oldest first.
SELECT contract_no, delay_from, delay_to, cause, document_no, valid_from, change_set_id
  FROM idle_delay
 WHERE contract_no = :contract_no AND valid_to IS NULL
 ORDER BY delay_from;
