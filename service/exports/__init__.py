"""What the system writes for people to take away: the safety rules shared by every file."""
