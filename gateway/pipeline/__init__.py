"""The pipeline: stages, their runner, dispatch, intake and operator actions."""
