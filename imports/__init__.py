"""Loading the daily extract: a folder ``YYYY-MM-DD/`` of CSV files from the trading and
master-data systems (see DESIGN.md, "Interfaces → Daily extract").

The machinery is shared by every kind of file:

- ``reader``  — finds the bytes' encoding (UTF-8 with or without BOM, or GB18030) and reads a
  CSV into columns, remembering each row's physical line number;
- ``columns`` — typed parsers (dates, amounts, choices …) that turn a column of strings into
  values or into reasons an operations person can act on;
- ``spec``    — ``FileSpec``, the declaration of one kind of file (columns, key, references to
  other files, checks, loader) and the validation that applies it;
- ``db``      — set-based writes: fetch what exists in one query per chunk, diff, upsert;
- ``service`` — ``import_folder()``: validate every file, then load them all in one transaction,
  and record an ``ImportBatch``;
- ``early_staging`` — on PostgreSQL, the trading files' staging and resolving join run in a
  background thread while they are parsed.

A kind of file is one ``FileSpec`` in a module such as ``masterdata``, listed in
``service.FILE_KINDS``. The large daily trading files (positions, balances, transactions, cash
flows) are ``trading.TradingSpec``s instead: validated column-wise with pandas and, on
PostgreSQL, loaded through ``COPY`` into staging tables and one set-based merge per file.
"""
