"""Accounts of staff: the Support Unit, community hosts, the Steering Committee and admins."""
