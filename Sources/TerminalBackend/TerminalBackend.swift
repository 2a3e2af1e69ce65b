import CNCursesW
import TraceViewer
