-- The milestones a project reached (standing), with the day.
SELECT milestone, reached_on
  FROM project_milestone_reached
 WHERE project_code = :project_code AND valid_to IS NULL;
