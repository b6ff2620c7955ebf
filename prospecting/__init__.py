"""prospecting: find and keep referral partners for cash-based physical therapy clinics."""

__version__ = "0.1.0"
