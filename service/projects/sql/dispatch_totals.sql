-- The totals of the monthly dispatch report (月调度): per park, per industry chain and for
-- the whole (the city, or :park alone), over the rows of dispatch_projects.sql
-- (put in below). scope is 'park', 'chain' or 'city'; a project without a chain is counted
-- under a null industry_chain. Money 万元; completion_to_date_pct = Σ completed to date /
-- Σ plan to date × 100 (null when the plan is 0); behind and not_reported count projects.
WITH p AS MATERIALIZED ({projects})
SELECT CASE WHEN grouping(p.park) = 0 THEN 'park'
            WHEN grouping(p.industry_chain) = 0 THEN 'chain'
            ELSE 'city' END AS scope,
       p.park,
       min(p.park_name_zh) AS park_name_zh,
       p.industry_chain,
       CAST(count(*) AS integer) AS projects,
       coalesce(sum(p.month_planned_wan), 0) AS month_planned_wan,
       coalesce(sum(p.month_completed_wan), 0) AS month_completed_wan,
       coalesce(sum(p.plan_to_date_wan), 0) AS plan_to_date_wan,
       coalesce(sum(p.completed_to_date_wan), 0) AS completed_to_date_wan,
       CASE WHEN sum(p.plan_to_date_wan) > 0
            THEN sum(p.completed_to_date_wan) / sum(p.plan_to_date_wan) * 100
       END AS completion_to_date_pct,
       coalesce(sum(p.planned_year_wan), 0) AS planned_year_wan,
       CAST(count(*) FILTER (WHERE p.behind) AS integer) AS behind,
       CAST(coalesce(sum(p.milestones_due), 0) AS integer) AS milestones_due,
       CAST(coalesce(sum(p.milestones_met), 0) AS integer) AS milestones_met,
       CAST(coalesce(sum(p.milestones_overdue), 0) AS integer) AS milestones_overdue,
       CAST(coalesce(sum(p.new_problems), 0) AS integer) AS new_problems,
       CAST(coalesce(sum(p.overdue_problems), 0) AS integer) AS overdue_problems,
       CAST(count(*) FILTER (WHERE NOT p.reported) AS integer) AS not_reported
FROM p
GROUP BY GROUPING SETS ((p.park), (p.industry_chain), ())
ORDER BY 1, p.park, p.industry_chain NULLS LAST
