"""Tests against a real Salt master and minions: run by tools/check-salt.sh only."""
