"""Key projects under the city's review rhythm (周观摩、月调度、季评比、年考核): the words,
the periods, the rules of lateness and overdue problems, the scores and the settings, as
plain functions with no database."""
