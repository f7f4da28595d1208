"""Real-browser end-to-end tests: headless Chromium against Hypercorn on loopback."""
