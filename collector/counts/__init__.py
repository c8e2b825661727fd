"""The report counts: derived data kept beside the responses so that a report never reads
answers. `refresh` is the write side (the batch SQL that aggregates new responses into the
daily, weekly and monthly rows, the refresh after each commit that stores responses and the
rebuild, and what "satisfied", "left out" and the breakdown dimensions mean in SQL); `cross`
keeps the respondents' cross-products the report's intervals need, in the packed format the
reports read. The reports (`collector.reports`) only read both."""
