"""OverSeer offline training: corpus -> regime labelling -> interference model -> ONNX bundle."""

__version__ = "0.1.0"
