"""The long-running servers: the scheduler (`digest schedule run`), the bounce listener
(`digest bounces serve`) and the demo's own mail server.
May import: nothing from digest.
"""
