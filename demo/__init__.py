"""Deterministic demo data for Broker CRM (``manage.py seed_demo``, then ``backfill_demo``).

One seed and one as-of day give one data set: every random draw comes from a numpy
``default_rng`` stream per stage (and per chunk of clients) and a seeded Faker, and every date
hangs off the as-of day (by default the last trading day before today).

The demo generates only the brokerage's raw facts and derives nothing itself: they are written
as one daily-extract folder and loaded by the import (``imports.service.import_folder``); what
the extract does not carry goes in through the domain's models and services. Snapshots,
segments, churn scores, alerts, segment history and report figures come from the pipeline run
over the loaded history (``backfill_demo``, ``run_nightly``, ``build_report_aggregates``).

Modules, in the order they run:

* ``dates`` — the trading calendar (weekdays minus trading holidays), the days with positions,
  the default as-of day;
* ``org`` — the org tree and the staff in it, the demo users;
* ``products`` — the product shelf, daily prices, dividend and coupon events;
* ``people`` (with ``identity`` and ``places``) — clients, accounts, assignments, who drifts away;
* ``assessments`` — risk assessments;
* ``trading`` — lots → transactions, cash flows, positions, balances, per chunk;
* ``servicing`` — interactions, households, the ticket plan;
* ``columns`` and ``writer`` — the generated columns, held in memory (``Facts``);
* ``extract`` — the facts as the extract's CSV files; ``details`` — what the extract does not
  carry, after the import;
* ``run`` — the orchestration, the empty-database guard and ``--flush``.
"""
