"""Sensitive-domain evaluation: prompt sets, the evaluation card; composes evaluate/ and review/."""
