"""Community models: product reviews, and the forum."""

from .forum import (
    ForumCategory,
    ForumCategoryWatch,
    ForumFlag,
    ForumPreferences,
    ForumPresence,
    ForumSanction,
    Post,
    PostImage,
    PostRevision,
    Reaction,
    TaggedThread,
    Thread,
    ThreadReadState,
    post_image_upload_to,
)
from .reviews import HelpfulVote, Review, ReviewPhoto, review_photo_upload_to

__all__ = [
    "ForumCategory",
    "ForumCategoryWatch",
    "ForumFlag",
    "ForumPreferences",
    "ForumPresence",
    "ForumSanction",
    "HelpfulVote",
    "Post",
    "PostImage",
    "PostRevision",
    "Reaction",
    "Review",
    "ReviewPhoto",
    "TaggedThread",
    "Thread",
    "ThreadReadState",
    "post_image_upload_to",
    "review_photo_upload_to",
]
