// Friendly names for the generated binding types: what Rust sends (`_Serialize`) and what it
// takes (`_Deserialize`).

export type {
  Session_Serialize as Session,
  TicketRow_Serialize as TicketRow,
  TicketContext_Serialize as TicketContext,
  DirectoryLists_Serialize as DirectoryLists,
  StatusView_Serialize as StatusView,
  SyncProgress as SyncProgress,
  UserItem_Serialize as UserItem,
  MessageView_Serialize as MessageView,
  TicketFilter_Deserialize as TicketFilter,
  WorkspaceSettings_Serialize as WorkspaceSettings,
  Assignment_Serialize as Assignment,
  JobView_Serialize as JobView,
  JobPlan,
  JobItemView_Serialize as JobItemView,
  JobProgress,
  Action,
  Selection_Deserialize as Selection,
  EnrichPreview_Serialize as EnrichPreview,
  SourceConfig_Serialize as SourceConfig,
  SourceTest_Serialize as SourceTest,
  FieldChange_Serialize as FieldChange,
  ApiError,
} from './bindings';
