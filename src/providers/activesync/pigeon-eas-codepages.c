/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include "pigeon-eas-codepages.h"

/*
 * The ActiveSync WBXML code pages 0-24 with the tag names of [MS-ASWBXML].  A tag's token
 * is its index here plus 5 (0x05 is the first tag token of every page).  Tokens the spec
 * marks as unused in current protocol versions keep their names so that old servers still
 * decode; NULL marks a token no page defines.
 */
#define FIRST_TOKEN 0x05
#define N_TOKENS    (0x40 - FIRST_TOKEN)

typedef struct
{
  const char *namespace;
  const char *tags[N_TOKENS];
} CodePage;

static const CodePage code_pages[PIGEON_EAS_N_CODE_PAGES] = {
  /* 0 */
  { "AirSync", {
      "Sync", "Responses", "Add", "Change", "Delete", "Fetch", "SyncKey", "ClientId", "ServerId",
      "Status", "Collection", "Class", "Version", "CollectionId", "GetChanges", "MoreAvailable",
      "WindowSize", "Commands", "Options", "FilterType", "Truncation", "RTFTruncation",
      "Conflict", "Collections", "ApplicationData", "DeletesAsMoves", "NotifyGUID", "Supported",
      "SoftDelete", "MIMESupport", "MIMETruncation", "Wait", "Limit", "Partial",
      "ConversationMode", "MaxItems", "HeartbeatInterval", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL } },
  /* 1 */
  { "Contacts", {
      "Anniversary", "AssistantName", "AssistantPhoneNumber", "Birthday", "Body", "BodySize",
      "BodyTruncated", "Business2PhoneNumber", "BusinessAddressCity", "BusinessAddressCountry",
      "BusinessAddressPostalCode", "BusinessAddressState", "BusinessAddressStreet",
      "BusinessFaxNumber", "BusinessPhoneNumber", "CarPhoneNumber", "Categories", "Category",
      "Children", "Child", "CompanyName", "Department", "Email1Address", "Email2Address",
      "Email3Address", "FileAs", "FirstName", "Home2PhoneNumber", "HomeAddressCity",
      "HomeAddressCountry", "HomeAddressPostalCode", "HomeAddressState", "HomeAddressStreet",
      "HomeFaxNumber", "HomePhoneNumber", "JobTitle", "LastName", "MiddleName",
      "MobilePhoneNumber", "OfficeLocation", "OtherAddressCity", "OtherAddressCountry",
      "OtherAddressPostalCode", "OtherAddressState", "OtherAddressStreet", "PagerNumber",
      "RadioPhoneNumber", "Spouse", "Suffix", "Title", "WebPage", "YomiCompanyName",
      "YomiFirstName", "YomiLastName", "CompressedRTF", "Picture", "Alias", "WeightedRank", NULL } },
  /* 2 */
  { "Email", {
      "Attachment", "Attachments", "AttName", "AttSize", "AttOId", "AttMethod", "AttRemoved",
      "Body", "BodySize", "BodyTruncated", "DateReceived", "DisplayName", "DisplayTo",
      "Importance", "MessageClass", "Subject", "Read", "To", "Cc", "From", "ReplyTo",
      "AllDayEvent", "Categories", "Category", "DtStamp", "EndTime", "InstanceType",
      "BusyStatus", "Location", "MeetingRequest", "Organizer", "RecurrenceId", "Reminder",
      "ResponseRequested", "Recurrences", "Recurrence", "Type", "Until", "Occurrences",
      "Interval", "DayOfWeek", "DayOfMonth", "WeekOfMonth", "MonthOfYear", "StartTime",
      "Sensitivity", "TimeZone", "GlobalObjId", "ThreadTopic", "MIMEData", "MIMETruncated",
      "MIMESize", "InternetCPID", "Flag", "Status", "ContentClass", "FlagType", "CompleteTime",
      "DisallowNewTimeProposal" } },
  /* 3 */
  { "AirNotify", {
      "Notify", "Notification", "Version", "LifeTime", "DeviceInfo", "Enable", "Folder",
      "ServerId", "DeviceAddress", "ValidCarrierProfiles", "CarrierProfile", "Status",
      "Responses", "Devices", "Device", "Id", "Expiry", "NotifyGUID", "DeviceFriendlyName", NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 4 */
  { "Calendar", {
      "TimeZone", "AllDayEvent", "Attendees", "Attendee", "Email", "Name", "Body",
      "BodyTruncated", "BusyStatus", "Categories", "Category", "CompressedRTF", "DtStamp",
      "EndTime", "Exception", "Exceptions", "Deleted", "ExceptionStartTime", "Location",
      "MeetingStatus", "OrganizerEmail", "OrganizerName", "Recurrence", "Type", "Until",
      "Occurrences", "Interval", "DayOfWeek", "DayOfMonth", "WeekOfMonth", "MonthOfYear",
      "Reminder", "Sensitivity", "Subject", "StartTime", "UID", "AttendeeStatus", "AttendeeType",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "DisallowNewTimeProposal",
      "ResponseRequested", "AppointmentReplyTime", "ResponseType", "CalendarType", "IsLeapMonth",
      "FirstDayOfWeek", "OnlineMeetingConfLink", "OnlineMeetingExternalLink", "ClientUid", NULL,
      NULL, NULL } },
  /* 5 */
  { "Move", {
      "MoveItems", "Move", "SrcMsgId", "SrcFldId", "DstFldId", "Response", "Status", "DstMsgId",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 6 */
  { "GetItemEstimate", {
      "GetItemEstimate", "Version", "Collections", "Collection", "Class", "CollectionId",
      "DateTime", "Estimate", "Response", "Status", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 7 */
  { "FolderHierarchy", {
      "Folders", "Folder", "DisplayName", "ServerId", "ParentId", "Type", "Response", "Status",
      "ContentClass", "Changes", "Add", "Delete", "Update", "SyncKey", "FolderCreate",
      "FolderDelete", "FolderUpdate", "FolderSync", "Count", "Version", NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL } },
  /* 8 */
  { "MeetingResponse", {
      "CalendarId", "CollectionId", "MeetingResponse", "RequestId", "Request", "Result",
      "Status", "UserResponse", "Version", "InstanceId", NULL, NULL, NULL, "SendResponse", NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 9 */
  { "Tasks", {
      "Body", "BodySize", "BodyTruncated", "Categories", "Category", "Complete", "DateCompleted",
      "DueDate", "UtcDueDate", "Importance", "Recurrence", "Type", "Start", "Until",
      "Occurrences", "Interval", "DayOfMonth", "DayOfWeek", "WeekOfMonth", "MonthOfYear",
      "Regenerate", "DeadOccur", "ReminderSet", "ReminderTime", "Sensitivity", "StartDate",
      "UtcStartDate", "Subject", "CompressedRTF", "OrdinalDate", "SubOrdinalDate",
      "CalendarType", "IsLeapMonth", "FirstDayOfWeek", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL } },
  /* 10 */
  { "ResolveRecipients", {
      "ResolveRecipients", "Response", "Status", "Type", "Recipient", "DisplayName",
      "EmailAddress", "Certificates", "Certificate", "MiniCertificate", "Options", "To",
      "CertificateRetrieval", "RecipientCount", "MaxCertificates", "MaxAmbiguousRecipients",
      "CertificateCount", "Availability", "StartTime", "EndTime", "MergedFreeBusy", "Picture",
      "MaxSize", "Data", "MaxPictures", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 11 */
  { "ValidateCert", {
      "ValidateCert", "Certificates", "Certificate", "CertificateChain", "CheckCRL", "Status",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 12 */
  { "Contacts2", {
      "CustomerId", "GovernmentId", "IMAddress", "IMAddress2", "IMAddress3", "ManagerName",
      "CompanyMainPhone", "AccountName", "NickName", "MMS", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 13 */
  { "Ping", {
      "Ping", "AutdState", "Status", "HeartbeatInterval", "Folders", "Folder", "Id", "Class",
      "MaxFolders", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 14 */
  { "Provision", {
      "Provision", "Policies", "Policy", "PolicyType", "PolicyKey", "Data", "Status",
      "RemoteWipe", "EASProvisionDoc", "DevicePasswordEnabled",
      "AlphanumericDevicePasswordRequired", "DeviceEncryptionEnabled", "PasswordRecoveryEnabled",
      "DocumentBrowseEnabled", "AttachmentsEnabled", "MinDevicePasswordLength",
      "MaxInactivityTimeDeviceLock", "MaxDevicePasswordFailedAttempts", "MaxAttachmentSize",
      "AllowSimpleDevicePassword", "DevicePasswordExpiration", "DevicePasswordHistory",
      "AllowStorageCard", "AllowCamera", "RequireDeviceEncryption", "AllowUnsignedApplications",
      "AllowUnsignedInstallationPackages", "MinDevicePasswordComplexCharacters", "AllowWiFi",
      "AllowTextMessaging", "AllowPOPIMAPEmail", "AllowBluetooth", "AllowIrDA",
      "RequireManualSyncWhenRoaming", "AllowDesktopSync", "MaxCalendarAgeFilter",
      "AllowHTMLEmail", "MaxEmailAgeFilter", "MaxEmailBodyTruncationSize",
      "MaxEmailHTMLBodyTruncationSize", "RequireSignedSMIMEMessages",
      "RequireEncryptedSMIMEMessages", "RequireSignedSMIMEAlgorithm",
      "RequireEncryptionSMIMEAlgorithm", "AllowSMIMEEncryptionAlgorithmNegotiation",
      "AllowSMIMESoftCerts", "AllowBrowser", "AllowConsumerEmail", "AllowRemoteDesktop",
      "AllowInternetSharing", "UnapprovedInROMApplicationList", "ApplicationName",
      "ApprovedApplicationList", "Hash", NULL, NULL, NULL, NULL, NULL } },
  /* 15 */
  { "Search", {
      "Search", NULL, "Store", "Name", "Query", "Options", "Range", "Status", "Response",
      "Result", "Properties", "Total", "EqualTo", "Value", "And", "Or", "FreeText", NULL,
      "DeepTraversal", "LongId", "RebuildResults", "LessThan", "GreaterThan", "Schema",
      "Supported", "UserName", "Password", "ConversationId", "Picture", "MaxSize", "MaxPictures",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 16 */
  { "GAL", {
      "DisplayName", "Phone", "Office", "Title", "Company", "Alias", "FirstName", "LastName",
      "HomePhone", "MobilePhone", "EmailAddress", "Picture", "Status", "Data", NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 17 */
  { "AirSyncBase", {
      "BodyPreference", "Type", "TruncationSize", "AllOrNone", NULL, "Body", "Data",
      "EstimatedDataSize", "Truncated", "Attachments", "Attachment", "DisplayName",
      "FileReference", "Method", "ContentId", "ContentLocation", "IsInline", "NativeBodyType",
      "ContentType", "Preview", "BodyPartPreference", "BodyPart", "Status", "Add", "Delete",
      "ClientId", "Content", "Location", "Annotation", "Street", "City", "State", "Country",
      "PostalCode", "Latitude", "Longitude", "Accuracy", "Altitude", "AltitudeAccuracy",
      "LocationUri", "InstanceId", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 18 */
  { "Settings", {
      "Settings", "Status", "Get", "Set", "Oof", "OofState", "StartTime", "EndTime",
      "OofMessage", "AppliesToInternal", "AppliesToExternalKnown", "AppliesToExternalUnknown",
      "Enabled", "ReplyMessage", "BodyType", "DevicePassword", "Password", "DeviceInformation",
      "Model", "IMEI", "FriendlyName", "OS", "OSLanguage", "PhoneNumber", "UserInformation",
      "EmailAddresses", "SMTPAddress", "UserAgent", "EnableOutboundSMS", "MobileOperator",
      "PrimarySmtpAddress", "Accounts", "Account", "AccountId", "AccountName", "UserDisplayName",
      "SendDisabled", NULL, "RightsManagementInformation", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 19 */
  { "DocumentLibrary", {
      "LinkId", "DisplayName", "IsFolder", "CreationDate", "LastModifiedDate", "IsHidden",
      "ContentLength", "ContentType", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 20 */
  { "ItemOperations", {
      "ItemOperations", "Fetch", "Store", "Options", "Range", "Total", "Properties", "Data",
      "Status", "Response", "Version", "Schema", "Part", "EmptyFolderContents",
      "DeleteSubFolders", "UserName", "Password", "Move", "DstFldId", "ConversationId",
      "MoveAlways", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 21 */
  { "ComposeMail", {
      "SendMail", "SmartForward", "SmartReply", "SaveInSentItems", "ReplaceMime", NULL, "Source",
      "FolderId", "ItemId", "LongId", "InstanceId", "Mime", "ClientId", "Status", "AccountId",
      NULL, "Forwardees", "Forwardee", "ForwardeeName", "ForwardeeEmail", NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL } },
  /* 22 */
  { "Email2", {
      "UmCallerID", "UmUserNotes", "UmAttDuration", "UmAttOrder", "ConversationId",
      "ConversationIndex", "LastVerbExecuted", "LastVerbExecutionTime", "ReceivedAsBcc",
      "Sender", "CalendarType", "IsLeapMonth", "AccountId", "FirstDayOfWeek",
      "MeetingMessageType", NULL, "IsDraft", "Bcc", "Send", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL } },
  /* 23 */
  { "Notes", {
      "Subject", "MessageClass", "LastModifiedDate", "Categories", "Category", NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL } },
  /* 24 */
  { "RightsManagement", {
      "RightsManagementSupport", "RightsManagementTemplates", "RightsManagementTemplate",
      "RightsManagementLicense", "EditAllowed", "ReplyAllowed", "ReplyAllAllowed",
      "ForwardAllowed", "ModifyRecipientsAllowed", "ExtractAllowed", "PrintAllowed",
      "ExportAllowed", "ProgrammaticAccessAllowed", "Owner", "ContentExpiryDate", "TemplateID",
      "TemplateName", "TemplateDescription", "ContentOwner",
      "RemoveRightsManagementDistribution", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
};

static GHashTable *
tag_index (void)
{
  static GHashTable *index;

  if (g_once_init_enter (&index))
    {
      GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      for (guint page = 0; page < PIGEON_EAS_N_CODE_PAGES; page++)
        for (guint i = 0; i < N_TOKENS; i++)
          if (code_pages[page].tags[i] != NULL)
            g_hash_table_insert (table,
                                 g_strconcat (code_pages[page].namespace, ":",
                                              code_pages[page].tags[i], NULL),
                                 GUINT_TO_POINTER (PIGEON_EAS_TAG (page, i + FIRST_TOKEN)));
      g_once_init_leave (&index, table);
    }
  return index;
}

gboolean
pigeon_eas_tag_from_name (const char *qualified_name,
                          guint16    *out_tag)
{
  gpointer value;

  g_return_val_if_fail (qualified_name != NULL, FALSE);

  if (!g_hash_table_lookup_extended (tag_index (), qualified_name, NULL, &value))
    return FALSE;
  if (out_tag != NULL)
    *out_tag = GPOINTER_TO_UINT (value);
  return TRUE;
}

guint16
pigeon_eas_tag (const char *qualified_name)
{
  guint16 tag = 0;

  if (!pigeon_eas_tag_from_name (qualified_name, &tag))
    g_error ("Unknown ActiveSync tag %s", qualified_name);
  return tag;
}

const char *
pigeon_eas_page_namespace (guint page)
{
  return page < PIGEON_EAS_N_CODE_PAGES ? code_pages[page].namespace : NULL;
}

gboolean
pigeon_eas_page_from_namespace (const char *namespace,
                                guint      *out_page)
{
  for (guint page = 0; page < PIGEON_EAS_N_CODE_PAGES; page++)
    if (g_strcmp0 (code_pages[page].namespace, namespace) == 0)
      {
        *out_page = page;
        return TRUE;
      }
  return FALSE;
}

const char *
pigeon_eas_tag_local_name (guint16 tag)
{
  guint page = PIGEON_EAS_TAG_PAGE (tag);
  guint token = PIGEON_EAS_TAG_TOKEN (tag);

  if (page >= PIGEON_EAS_N_CODE_PAGES || token < FIRST_TOKEN || token >= 0x40)
    return NULL;
  return code_pages[page].tags[token - FIRST_TOKEN];
}
