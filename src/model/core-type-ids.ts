/** Blue's pinned BlueIds of the basic types (blue-js 4.x). */
export const CORE_TYPE_IDS = {
  Text: 'DLRQwz7MQeCrzjy9bohPNwtCxKEBbKaMK65KBrwjfG6K',
  Double: '7pwXmXYCJtWnd348c2JQGBkm9C4renmZRwxbfaypsx5y',
  Integer: '5WNMiV9Knz63B4dVY5JtMyh3FB4FSGqv7ceScvuapdE1',
  Boolean: '4EzhSubEimSQD3zrYHRtobfPPWntUuhEz8YcdxHsi12u',
  List: '6aehfNAxHLC1PHHoDr3tYtFH3RWNbiWdFancJ1bypXEY',
  Dictionary: 'G7fBT9PSod1RfHLHkpafAGBDVAJMrMhAMY51ERcyXNrj',
} as const;

export type CoreTypeName = keyof typeof CORE_TYPE_IDS;

export const SCALAR_TYPE_IDS: ReadonlySet<string> = new Set([
  CORE_TYPE_IDS.Text,
  CORE_TYPE_IDS.Double,
  CORE_TYPE_IDS.Integer,
  CORE_TYPE_IDS.Boolean,
]);
