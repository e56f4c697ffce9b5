"""Deterministic demo data for Broker CRM (``manage.py seed_demo``).

One seed gives one data set: every random draw comes from a numpy ``default_rng`` stream per
stage (and per chunk of clients) and a seeded Faker, and every date hangs off the as-of day.

Modules, in the order they run:

* ``dates`` — the trading calendar (weekdays minus trading holidays) and the snapshot dates;
* ``org`` — the org tree, staff users in the role groups with Advisor profiles, demo users;
* ``products`` — the product shelf, daily prices, dividend and coupon events;
* ``people`` (with ``identity`` and ``places``) — clients, accounts, assignments;
* ``assessments`` — risk assessments;
* ``trading`` — lots → transactions, cash flows, positions, balances, snapshots, per chunk;
* ``servicing`` — interactions, alerts, tickets;
* ``columns`` and ``writer`` — column encodings and the bulk writer (COPY / executemany);
* ``run`` — the orchestration, the empty-database guard and ``--flush``.
"""
