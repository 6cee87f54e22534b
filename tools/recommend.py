"""Recommendation and prediction tools: thin adapters over App.recommend and App.predict.

The services (numpy, the models) load on the first call, never at ``tools/list``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..recommend.models import DocumentRecommendations, NextPredictions, Recommendations, SimilarProjects
from ._common import READ_ONLY, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder

User = Annotated[str | None, Field(description="Whose recommendations; default: the configured QuickNav user")]
Context = Annotated[
    dict[str, Any] | None,
    Field(
        description="Optional {time: ISO 8601 (only events up to it count; default now), "
        "current_project: 5-digit number, query: words}"
    ),
]


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="Recommend projects", annotations=READ_ONLY)
    @tool_errors
    def recommend_projects(
        user_id: User = None,
        limit: Annotated[int, Field(strict=True, description="How many, 1-50")] = 10,
        context: Context = None,
        filters: Annotated[
            dict[str, Any] | None,
            Field(description="Optional {client: name or abbreviation, range: '21000 - 21999', exclude_viewed: bool}"),
        ] = None,
    ) -> Recommendations:
        """Projects this person is likely to need now, best first, each with a confidence (0-1) and
        reasons naming the evidence ("you opened 3 documents here this week", "people who work on
        20865 also open this", "similar to 21614: same client Poolwerx"). Learned from usage: own
        frecency, collaborative filtering, content similarity, team co-activity, popularity. A new
        user gets the firm's active projects. Pass impression_id with a recommendation_click event."""
        return holder.get().recommend.recommend_projects(user_id, limit, context, filters)

    @server.tool(title="Recommend documents", annotations=READ_ONLY)
    @tool_errors
    def recommend_documents(
        user_id: User = None,
        project_number: Annotated[
            str | None, Field(description="Only this project's documents; default: the user's likely projects")
        ] = None,
        limit: Annotated[int, Field(strict=True, description="How many, 1-50")] = 10,
        context: Context = None,
    ) -> DocumentRecommendations:
        """Documents this person is likely to open next: current revisions first (never archived
        copies), then what they opened before and the document families they use most."""
        return holder.get().recommend.recommend_documents(user_id, project_number, limit, context)

    @server.tool(title="Similar projects", annotations=READ_ONLY)
    @tool_errors
    def similar_projects(
        project_number: Annotated[str, Field(description="5-digit project number")],
        limit: Annotated[int, Field(strict=True, description="How many, 1-50")] = 10,
    ) -> SimilarProjects:
        """Projects like this one (same client, same kind of work, used by the same people), with the
        shared evidence: useful to find an earlier design or report to start from."""
        return holder.get().recommend.similar_projects(project_number, limit)

    @server.tool(title="Predict the next step", annotations=READ_ONLY)
    @tool_errors
    def predict_next(
        user_id: User = None,
        context: Annotated[
            dict[str, Any] | None,
            Field(
                description="Optional {current_project: 5-digit number (default: the user's latest), "
                "time: ISO 8601, recent: [project numbers, most recent first]}"
            ),
        ] = None,
        prediction_type: Annotated[
            Literal["project", "document_type"], Field(description="Predict the next project or document family")
        ] = "project",
        limit: Annotated[int, Field(strict=True, description="How many, 1-20")] = 5,
    ) -> NextPredictions:
        """Where this person goes next from the current project: learned from everyone's moves
        between projects, the person's own habits and time of day, and their team's activity. Each
        prediction has a confidence and reasons; model_version says which trained model answered."""
        return holder.get().predict.predict_next(user_id, context, prediction_type, limit)
