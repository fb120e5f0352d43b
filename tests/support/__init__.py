"""Test support that is not a builder: which database this run uses, running a coroutine beside
Playwright's loop, and a real Socket.IO client for the live tests (the builders are in tests.factories)."""
