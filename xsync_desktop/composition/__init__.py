"""The composition root: the one place that chooses real Xero or the demo sandbox, the keyring
and the database, and hands the layers below plain objects.

- gui.py: the window's environment (`XeroSetup`, a demo ledger seeder, what to stop at exit);
- headless.py: `xsync-desktop sync`'s connection (a client factory and the organisation);
- sandbox_command.py: `xsync-desktop sandbox`;
- demo.py: the demo's sandbox, its consent-page "browser" and its ledger seeder;
- sandbox_process.py: the sandbox in a child process (why: see there);
- memory_keyring.py: the Windows-sized in-memory keyring for the demo, the smoke test and tests.

Only cli.py imports this package; ui/, sync/, xero/, store/ and ledger/ import nothing of it
or of sandbox/ (tests/test_architecture.py keeps it so). Its modules import their layers
lazily where a command does not need them, so `xsync-desktop sync` never loads Qt.
"""
