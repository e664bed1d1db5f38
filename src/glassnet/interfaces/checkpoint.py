"""Moved: see glassnet.interfaces."""

from glassnet.interfaces import moved

moved(__name__)
