"""SLA clocks, their timer jobs and the alerts they raise."""
