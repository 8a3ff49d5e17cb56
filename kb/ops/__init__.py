"""Operations: the scheduler (watch), runs, alerts, health status, backups."""
