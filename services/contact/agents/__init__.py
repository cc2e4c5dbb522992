"""Agents: who takes contacts, their skills, capacity and presence."""
