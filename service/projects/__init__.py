"""Key projects under the city's review rhythm (周观摩、月调度、季评比、年考核): their
records (plans, monthly reports, visits, problems, officials), the project list and page,
and the rhythm's outputs (the monthly dispatch report, the quarterly ranking, the yearly
assessment, the weekly visit list). SQL in ``sql/``; the rules in ``parks.projects``."""
