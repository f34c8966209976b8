/// The version `theorycheck --version` prints and reports may record.
public enum TheorycheckVersion {
    public static let current = "0.7.0"
}
